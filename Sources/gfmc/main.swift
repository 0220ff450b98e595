import Foundation
import GFMCCommandLine

exit(GFMCMain.run(arguments: Array(CommandLine.arguments.dropFirst())))
