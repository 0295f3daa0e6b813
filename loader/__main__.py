import sys

from loader import cli

sys.exit(cli.main())
