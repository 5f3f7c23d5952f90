"""The start-up GC handling of `zsiw` jobs (docs/performance.md): heavy imports run with the
collector off and are frozen, the collector is back on for the command's own work."""

import gc

from zsiw import cli


def test_heavy_imports_are_frozen_and_the_collector_is_on_again(monkeypatch):
    seen = []
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: seen.append(gc.isenabled()))
    gc.enable()
    gc.unfreeze()
    cli.import_heavy_libraries(("json",))
    try:
        assert seen == [False]  # imported with the collector off
        assert gc.isenabled()  # and on again for the work
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_every_torch_command_exists_and_light_commands_skip_the_imports(monkeypatch):
    names = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert names >= set(cli.HEAVY_IMPORTS)
    # a tokenise job must not pay for the modelling code and scikit-learn it never uses
    assert not {"transformers.modeling_utils", "sklearn.metrics"} & set(
        cli.HEAVY_IMPORTS["features"]
    )
    called = []
    monkeypatch.setattr(cli, "import_heavy_libraries", lambda names: called.append(names))
    assert cli.main(["param-docs", "--out", "/dev/null"]) == 0
    assert called == []
    assert gc.isenabled()
    gc.unfreeze()
