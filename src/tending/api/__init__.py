"""The JSON API (/api/v1/...): the third shell over actions/, beside the CLI and the web dashboard."""
