"""Runs the unit tests and writes their results as JUnit XML (as pytest --junitxml would)."""
import os
import sys
import time
import unittest
from xml.etree import ElementTree


class Recording(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = []

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _record(self, test, outcome, detail=""):
        self.cases.append((test, outcome, detail, time.monotonic() - self._started))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failure", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))


def main(out_dir):
    suite = unittest.defaultTestLoader.discover("tests")
    result = unittest.TextTestRunner(resultclass=Recording, verbosity=2).run(suite)
    root = ElementTree.Element("testsuite", name="webapp", tests=str(result.testsRun),
                               failures=str(len(result.failures)), errors=str(len(result.errors)))
    for test, outcome, detail, seconds in result.cases:
        case = ElementTree.SubElement(root, "testcase", classname=type(test).__name__,
                                      name=test._testMethodName, time="%.3f" % seconds)
        if outcome != "ok":
            ElementTree.SubElement(case, outcome, message=detail.splitlines()[-1]).text = detail
    os.makedirs(out_dir, exist_ok=True)
    ElementTree.ElementTree(root).write(os.path.join(out_dir, "unittest.xml"), encoding="utf-8", xml_declaration=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "test-results"))
