#!/usr/bin/env bash
# Train a published grid in the background and commit each finished cell's small outputs as
# it finishes (the development machine is not kept; a lost machine loses at most the cells in
# progress). Run from a worktree of this repository checked out at the commit to train with;
# the published tree is committed into the repository at PUBLISH_REPO.
#
#   git worktree add --detach ../full HEAD && cd ../full && (install as in the README) &&
#   nice -n 19 bash scripts/rerun-grid.sh config/full-cpu.yaml /path/to/main ote-table1 ...
#
# Each PHASE is a Snakemake target list from `zsiw plan --phase` (in order of importance); a
# watcher publishes and commits finished cells every minute while the phases run. The phase
# `final` (last) runs the plain command over the whole grid and logs whether a dry run after
# it plans nothing.
# PUBLISH_ZSIW (default: the checkout's own `zsiw`) is the zsiw that publishes: to keep
# training at a fixed commit while publishing with newer code, point it at another checkout's
# environment, e.g. PUBLISH_ZSIW=/path/to/pub/.venv/bin/zsiw. Provenance records the commit of
# the checkout the script runs in, the one that trains.
set -uo pipefail
config=$1 repo=$2; shift 2
grid=$(basename "$config" .yaml)
dest="$repo/published/$grid"
mkdir -p "$dest" logs

publish() {
  "${PUBLISH_ZSIW:-zsiw}" publish --configfile "$config" --to "$dest" >>logs/publish.log 2>&1 ||
    return 0
  # only what `zsiw publish` writes: the products beside them are rebuilt (deleted, then
  # written again) by the workflow, and must not be committed half-way
  local paths=() part
  for part in runs configs pretrained; do
    [[ -e "$repo/published/$grid/$part" ]] && paths+=("published/$grid/$part")
  done
  [[ ${#paths[@]} -gt 0 ]] || return 0
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if (cd "$repo" && git add -- "${paths[@]}" &&
        { git diff --cached --quiet -- "${paths[@]}" ||
          git commit -q -m "$(message "${paths[@]}")" -- "${paths[@]}"; }) 2>>logs/publish.log; then
      return 0
    fi
    sleep 7  # the index was locked by another git command: try again
  done
  # a lock left by a killed git stays until someone removes it: say so where it is read
  echo "== $(date -u +%FT%TZ) could not commit published/$grid in $repo (see logs/publish.log;" \
    "a stale $repo/.git/index.lock?): finished cells are published but not committed" |
    tee -a logs/publish.log >>logs/rerun-grid.log
}

# "published/full-cpu: 2 finished cell(s) from abc1234", or for files of cells published
# before (`zsiw publish --refresh-geometry` run beside the grid) "… geometry of 3 cell(s)
# measured again"
message() {
  local staged new
  staged=$(git diff --cached --name-only -- "$@")
  new=$(git diff --cached --name-only --diff-filter=A -- "$@" | grep -c provenance.json)
  if [[ $new -gt 0 ]]; then
    echo "published/$grid: $new finished cell(s) from $(git -C "$OLDPWD" rev-parse --short HEAD)"
  else
    echo "published/$grid: geometry of $(grep -c geometry.json <<<"$staged") cell(s) measured again"
  fi
}

watch() { while sleep 60; do publish; done; }
watch & watcher=$!
trap 'kill $watcher 2>/dev/null' EXIT

for phase in "$@"; do
  echo "== $(date -u +%FT%TZ) phase $phase" >>logs/rerun-grid.log
  if [[ $phase == final ]]; then
    # the whole grid through the plain command (report, study, geometry from the trained
    # cells), then a dry run that must plan nothing: the check that the grid is complete
    snakemake all study_iw geometry --cores 2 --configfile "$config" >>logs/rerun-grid.log 2>&1
    snakemake -n all study_iw geometry --cores 2 --configfile "$config" 2>&1 | tail -1 |
      sed "s/^/== $(date -u +%FT%TZ) final dry run: /" >>logs/rerun-grid.log
    continue
  fi
  # a cell already in the published tree is not trained again: on a new machine (the old
  # one's models lost with it) the grid goes on from the cells that were not published
  targets=()
  while read -r target; do
    rel=${target#results/runs/}
    [[ -e "$dest/runs/${rel%metrics.json}provenance.json" ]] || targets+=("$target")
  done < <(zsiw plan --configfile "$config" --phase "$phase")
  echo "== $(date -u +%FT%TZ) phase $phase: ${#targets[@]} cell(s) not yet published" \
    >>logs/rerun-grid.log
  [[ ${#targets[@]} -gt 0 ]] || continue
  # targets first: --configfile takes every word after it
  snakemake "${targets[@]}" --cores 2 --configfile "$config" --keep-going --rerun-incomplete \
    >>logs/rerun-grid.log 2>&1
  echo "== $(date -u +%FT%TZ) phase $phase exit $?" >>logs/rerun-grid.log
  publish
done
