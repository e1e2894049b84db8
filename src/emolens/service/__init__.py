"""The web app and REST service (FastAPI): analysis endpoints, video jobs, the browser page."""
