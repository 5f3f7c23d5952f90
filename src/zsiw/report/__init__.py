"""Reporting: LaTeX tables that put the reproduction next to the paper's numbers."""

from zsiw.report.tables import (
    encoder_label,
    format_cell,
    latex_escape,
    table_case_study,
    table_main,
    table_multisource,
    wrap_document,
)

__all__ = [
    "encoder_label",
    "format_cell",
    "latex_escape",
    "table_case_study",
    "table_main",
    "table_multisource",
    "wrap_document",
]
