report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/adaptive.smk"
include: "workflow/rules/aggregation.smk"
include: "workflow/rules/figures.smk"


rule all:
    input:
        all_targets(),


onstart:
    activerun.record()


onsuccess:
    activerun.release()
    # The answer in the terminal: the ranked table per dataset, if it was made.
    summary_md = Path(rules.summarize.output.markdown)
    if summary_md.exists():
        print(f"\n{summary_md}:\n\n{summary_md.read_text()}")
    # Then the one answer across data sets (or why there is none).
    overall_md = Path(rules.compare_overall.output.markdown)
    if overall_md.exists():
        print(f"\n{overall_md}:\n\n{overall_md.read_text()}")


onerror:
    activerun.release()
