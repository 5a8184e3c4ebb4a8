# Adaptive seeds (config `seeds: {start, add, max}`, docs/statistics.md): one
# checkpoint per data set and look judges the look's runs and says whether
# another look follows; every seed stays one cached train job.
checkpoint decide_seeds:
    input:
        unpack(previous_look),
        metrics=look_runs("metrics.json"),
    output:
        decision="results/adaptive/{dataset}/look{look}.json",
    log:
        "logs/decide_seeds/{dataset}/look{look}.log",
    wildcard_constraints:
        look=r"\d+",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        seeds=config["seeds"],
        alpha=config["statistics"]["alpha"],
        smallest_effect=config["statistics"]["smallest_effect"],
        code=script_hash("decide_seeds.py"),
    script:
        "../scripts/decide_seeds.py"
