import sys

from loader.report.cli import main

sys.exit(main())
