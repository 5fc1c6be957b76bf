"""Request and response bodies; class names are the OpenAPI component names."""
