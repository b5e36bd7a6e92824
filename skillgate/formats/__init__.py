"""Format overrides per interface language (settings.FORMAT_MODULE_PATH); whatever is not set
here comes from Django's own locale formats."""
