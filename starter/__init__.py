"""The starter CLI: `python -m starter translate|status|cancel|result`."""
