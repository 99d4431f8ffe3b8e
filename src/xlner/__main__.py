from xlner.cli import main
import sys
sys.exit(main())
