from inkstream.cli import main

main()
