"""Scoring: readable profiles (`profile`), the explainable match engine (`engine`), the
model learned from labels (`learn`) and scoring Parquet datasets with Dask (`scale`)."""
