#!/bin/bash
# tools/campaign_analysis.py on synthetic campaigns with known answers (tests/check_analysis.py):
# jackknife errors, crossings on different ladders, the equilibration verdicts, figures, reports
# and errors for broken files.
. "${top_srcdir:-.}/tests/common.sh"
"$PYTHON3" "$top_srcdir/tests/check_analysis.py"
