"""What people read from the warehouse: alerts, the HTML report, the summary (`python -m loader
alerts | report | summary`). Reads the marts and models/surfaces through warehouse.py; never
imports the loader."""
