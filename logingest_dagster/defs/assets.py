"""The warehouse outputs as one graph-backed multi-asset: Materialize runs the ingest graph.

Discovery fans out one ingestion step per file (or packed group), publishing collects them and
commits; each output in `outputs.OUTPUTS` is an asset of the graph, downstream of the log
directories. Any subset can be materialized: every step runs (the commit is all or nothing), and
only the selected outputs are recorded.
"""

from __future__ import annotations

from dagster import AssetKey, AssetsDefinition, GraphIn, GraphOut, graph

from logingest_dagster.defs.directories import LOG_DIRECTORIES, log_directories
from logingest_dagster.defs.ops import discover_log_files, ingest_log_files, publish_results
from logingest_dagster.defs.outputs import GROUP, OUTPUT_NAMES, OUTPUTS


@graph(
    ins={"log_directories": GraphIn()},
    out={name: GraphOut() for name in OUTPUT_NAMES},
)
def ingest_graph(log_directories):
    """Discovery fans out one ingestion step per file (or packed group); publish collects."""
    tasks, plan = discover_log_files(log_directories)
    results = tasks.map(ingest_log_files)
    return publish_results(plan, results.collect())._asdict()


warehouse_assets = AssetsDefinition.from_graph(
    ingest_graph,
    keys_by_input_name={"log_directories": LOG_DIRECTORIES},
    keys_by_output_name={name: AssetKey(name) for name in OUTPUT_NAMES},
    group_name=GROUP,
    descriptions_by_output_name={output.name: output.description for output in OUTPUTS},
    tags_by_output_name={name: {"dagster/kind/parquet": ""} for name in OUTPUT_NAMES},
    can_subset=True,
)

WAREHOUSE_KEYS = [AssetKey(name) for name in OUTPUT_NAMES]
ASSETS = [log_directories, warehouse_assets]
