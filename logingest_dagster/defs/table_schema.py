"""The Columns section of an asset page: a TableSchema read from the Parquet it wrote."""

from __future__ import annotations

from pathlib import Path

from dagster import TableColumn, TableSchema


def parquet_table_schema(path: str | Path) -> TableSchema:
    """Every column and its Arrow type, from one Parquet file's footer or, for a hive-partitioned
    dataset directory, the dataset's schema with its partition columns (no data is read); for a
    dataset with no part file yet, the schema it is written with."""
    import pyarrow.dataset as ds  # lazily: the process that launches a run never reads Parquet

    path = Path(path)
    if not path.exists():
        from logingest_dagster.engine.warehouse import dataset_schema

        schema = dataset_schema(path.name)
    elif path.is_dir():
        schema = ds.dataset(path, format="parquet", partitioning="hive").schema
    else:
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
    return TableSchema(
        columns=[
            TableColumn(name=field.name, type=str(field.type), description=None) for field in schema
        ]
    )
