"""``python -m judgebias``: the same as the ``judgebias`` command."""

from .cli import main

if __name__ == "__main__":
    main()
