"""The command line: one thin module per command; errors are caught once, in main."""
