from signalchain.cli import main

main()
