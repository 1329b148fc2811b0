from kundig.cli import main

main()
