"""Service-class providers, one module per service class."""
