import Foundation
print("gfmc")
