#!/usr/bin/env bash
# Train a published grid in the background and commit each finished cell's small outputs as
# it finishes (the development machine is not kept; a lost machine loses at most the cells in
# progress). Run from a worktree of this repository checked out at the commit to train with;
# the published tree is committed into the repository at PUBLISH_REPO.
#
#   git worktree add --detach ../full HEAD && cd ../full && (install as in the README) &&
#   nice -n 19 bash scripts/rerun-grid.sh config/full-cpu.yaml /path/to/main table1 study ... final
#
# Each PHASE is a Snakemake target list from `zsiw plan --phase` (in order of importance),
# less the cells already published (a new machine goes on where the last one stopped); a
# watcher publishes and commits finished cells every minute while the phases run. The phase
# `final` (last) runs the plain command over the whole grid and logs whether a dry run after
# it plans nothing; where some cells were trained on an earlier machine (their models gone)
# it rebuilds and dry-runs the published tree in the repository instead.
# On a CPU with more vector kernels than the grid's earlier cells had (provenance.json's
# cpu_capability), hold torch to theirs for bit-identical training, e.g. for AVX2 on an
# AVX-512 CPU: ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 (docs/results-full-cpu.md).
# PUBLISH_ZSIW (default: the checkout's own `zsiw`) is the zsiw that publishes: to keep
# training at a fixed commit while publishing with newer code, point it at another checkout's
# environment, e.g. PUBLISH_ZSIW=/path/to/pub/.venv/bin/zsiw. Provenance records the commit of
# the checkout the script runs in, the one that trains.
set -uo pipefail
config=$1 repo=$2; shift 2
grid=$(basename "$config" .yaml)
dest="$repo/published/$grid"
mkdir -p "$dest" logs

# the watcher and the end of a phase both call this: `zsiw publish` holds the published tree
# (flock) so that they take turns instead of assembling the same cell at once
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

# "published/full-cpu: 2 finished cell(s) from abc1234", for files of cells published before
# (`zsiw publish --refresh-geometry` run beside the grid) "geometry of 3 cell(s) measured
# again", for a task's pretrained encoder "pretrained geometry of cls-books"; joined by "; "
message() {
  local added changed parts=() n tasks
  added=$(git diff --cached --name-only --diff-filter=A -- "$@")
  changed=$(git diff --cached --name-only --diff-filter=M -- "$@")
  n=$(grep -c '^published/[^/]*/runs/.*/provenance\.json$' <<<"$added")
  [[ $n -gt 0 ]] && parts+=("$n finished cell(s) from $(git -C "$OLDPWD" rev-parse --short HEAD)")
  n=$(grep -c '^published/[^/]*/runs/.*/geometry\.json$' <<<"$changed")
  [[ $n -gt 0 ]] && parts+=("geometry of $n cell(s) measured again")
  tasks=$(grep -o '/pretrained/[^/]*\.geometry\.json$' <<<"$added"$'\n'"$changed" |
    sed 's|/pretrained/||; s|\.geometry\.json$||' | paste -sd, - | sed 's/,/, /g')
  [[ -n $tasks ]] && parts+=("pretrained geometry of $tasks")
  [[ ${#parts[@]} -gt 0 ]] || parts+=("files changed")
  local IFS=';'
  echo "published/$grid: ${parts[*]}" | sed 's/;/; /g'
}

watch() { while sleep 60; do publish; done; }
# (its streams closed: a sleep left behind by the kill below must not hold the caller's pipe)
watch </dev/null >/dev/null 2>&1 & watcher=$!
trap 'kill $watcher 2>/dev/null' EXIT

for phase in "$@"; do
  echo "== $(date -u +%FT%TZ) phase $phase" >>logs/rerun-grid.log
  if [[ $phase == final ]]; then
    publish
    missing=0
    while read -r target; do [[ -e $target ]] || missing=$((missing + 1)); done < <(
      for part in table1 table4 study table3; do zsiw plan --configfile "$config" --phase $part; done)
    if [[ $missing -eq 0 ]]; then
      # the whole grid through the plain command (report, study, geometry from the trained
      # cells), then a dry run that must plan nothing: the check that the grid is complete
      snakemake all study_iw geometry --cores 2 --configfile "$config" >>logs/rerun-grid.log 2>&1
      snakemake -n all study_iw geometry --cores 2 --configfile "$config" 2>&1 | tail -1 |
        sed "s/^/== $(date -u +%FT%TZ) final dry run: /" >>logs/rerun-grid.log
    else
      # cells trained on an earlier machine have their outputs in the published tree only
      # (the models went with that machine): the plain command here would train them again,
      # so the check runs on the published tree, with the publishing checkout's code
      echo "== $(date -u +%FT%TZ) final: $missing cell(s) not trained here; checking" \
        "published/$grid in $repo instead" >>logs/rerun-grid.log
      pub_bin=$(dirname "$(command -v "${PUBLISH_ZSIW:-zsiw}")")
      (cd "$repo" && export PATH="$pub_bin:$PATH" &&
        snakemake --cores 2 --configfile "config/$grid.yaml" --config published="published/$grid" &&
        snakemake -n --cores 2 --configfile "config/$grid.yaml" --config published="published/$grid") \
        >>logs/rerun-grid.log 2>&1
      tail -1 logs/rerun-grid.log | sed "s/^/== $(date -u +%FT%TZ) final dry run (published): /" \
        >>logs/rerun-grid.log
    fi
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
