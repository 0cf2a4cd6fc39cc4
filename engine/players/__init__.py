"""Who can sit in a seat: llama.cpp in this process (`llama/`), or a model behind an
OpenAI-compatible server (`openai_http.py`)."""
