import sys

from xlner.cli import main

sys.exit(main())
