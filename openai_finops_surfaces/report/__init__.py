"""The spend report: one self-contained HTML file drawn from the marts (`python -m loader report`)."""
