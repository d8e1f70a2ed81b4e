from memspec.cli import main

main()
