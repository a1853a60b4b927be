"""The `logingest` command line: run | scan | sample | state | reset | rebuild (`commands`)."""

from logingest_dagster.startup import pause_collection


def main() -> None:
    """The `logingest` console script: the collector is paused before the commands (and what they
    import) load; each command resumes it once loaded (`startup.collection`)."""
    pause_collection()
    from logingest_dagster.cli.commands import main as command_line

    command_line()
