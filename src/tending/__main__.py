from tending.cli import main

main()
