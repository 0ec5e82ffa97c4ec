from poseapp.cli import main

raise SystemExit(main())
