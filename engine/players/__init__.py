"""Players that are not the local llama.cpp runtime: models behind a server."""
