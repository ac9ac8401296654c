from supportloop.cli import main

main()
