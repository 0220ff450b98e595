// gfmc-synthetic-fill STUDY DIR TRIALS_PER_WIDTH [SEED]
// Fills DIR/study.sqlite with synthetic trial results of STUDY's shape (see GFMCApplication.SyntheticFill),
// so `gfmc report DIR` and store sizes can be measured at 10⁶–10⁸ trials without running them.
import Foundation
import GFMCApplication
import GFMCStudy

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 5, let perWidth = Int(arguments[3]), perWidth >= 0,
      arguments.count == 4 || UInt64(arguments[4]) != nil else {
    FileHandle.standardError.write(Data("usage: gfmc-synthetic-fill STUDY DIR TRIALS_PER_WIDTH [SEED]\n".utf8))
    exit(64)
}
do {
    let study = try StudyDescription.load(path: arguments[1])
    let start = Date()
    let inserted = try SyntheticFill.fill(directory: RunDirectory(path: arguments[2]), study: study,
                                          trialsPerWidth: perWidth, seed: arguments.count == 5 ? UInt64(arguments[4])! : 1)
    print("recorded \(inserted) synthetic trials (\(study.widths.count) widths × \(perWidth)) in "
          + String(format: "%.1f s", Date().timeIntervalSince(start)))
} catch {
    FileHandle.standardError.write(Data("gfmc-synthetic-fill: \(error)\n".utf8))
    exit(1)
}
