"""Commands of this module register on erplan.cli.common.app."""
