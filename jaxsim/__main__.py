"""Entry point for ``python -m jaxsim``, the same as the ``jaxsim`` command."""

from jaxsim.cli import main

raise SystemExit(main())
