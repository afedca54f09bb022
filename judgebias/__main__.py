"""``python -m judgebias``: the same as the ``judgebias`` command."""

from judgebias.cli import main

if __name__ == "__main__":
    main()
