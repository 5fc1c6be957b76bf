"""The ASGI entry point for servers: `uvicorn jiebang_api.asgi:app`."""

from jiebang_api.main import create_app

app = create_app()
