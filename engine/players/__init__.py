"""Who can sit in a seat: llama.cpp in this process (`llama/`), and more to come."""
