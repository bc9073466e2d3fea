"""Scoring: readable profiles (`profile`), the explainable match engine (`engine`), text
representations cached per corpus (`represent`, `features`), the model learned from labels
(`learn`) and when to stop screening (`stopping`), similarity to the person's library
(`similarity`), search by words and meaning (`search`) and scoring Parquet datasets with
Dask (`scale`)."""
