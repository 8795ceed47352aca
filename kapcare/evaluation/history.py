"""The history an evaluation asks about, in the order forms show it and screening reads it."""

PSYCHIATRIC = [
    "psychosis",
    "schizophrenia",
    "bipolar_disorder",
    "mania",
    "substance_use",
    "ketamine_misuse",
    "suicide_attempt",
    "last_suicide_attempt",
    "self_harm",
    "suicidal_thoughts_last_2_weeks",
]
MEDICAL = [
    "hypertension",
    "cardiovascular_disease",
    "cerebrovascular_disease",
    "aneurysm_or_avm",
    "intracerebral_haemorrhage",
    "raised_intracranial_pressure",
    "raised_intraocular_pressure",
    "hepatic_impairment",
    "pregnant",
    "lactating",
    "interstitial_cystitis",
    "seizures",
    "hyperthyroidism",
]
