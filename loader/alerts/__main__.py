import sys

from loader.alerts.cli import main

sys.exit(main())
