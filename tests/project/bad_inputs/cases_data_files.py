"""Bad data files of a user's own dataset: (id, what the user did, files, exception, regexes)."""

from own_data import GOOD, ROWS, TSV_ROWS

# ``files`` maps split -> file content (str or bytes) or (suffix, content); splits not given get GOOD[split]
# (tests/own_data.py's own_dataset writes them).

DATA_FILE_CASES = [
    (
        "csv-unmatched-quote",
        "a CSV text with an unmatched quote",
        {"test": 'text,label\n"i am so happy text,happy\n' + ROWS},
        ValueError,
        ["line 2", "quote"],
    ),
    (
        "labels-case",
        "labels 'joy' and 'Joy'",
        {"train": GOOD["train"] + "i am glad,Happy\n"},
        ValueError,
        ["'Happy' / 'happy'", "differ only by case or spaces", "write each class one way"],
    ),
    (
        "labels-space",
        "labels 'sad' and 'sad '",
        {"train": GOOD["train"] + "i am glad,sad \n"},
        ValueError,
        ["'sad' / 'sad '", "differ only by case or spaces"],
    ),
    (
        "test-label-case",
        "a test label 'Sad' where train writes 'sad'",
        {"test": GOOD["test"] + "so sad,Sad\n"},
        ValueError,
        ["'Sad' \\(train writes 'sad'\\)", "same way in every split"],
    ),
    (
        "trailing-empty-rows",
        "trailing rows of empty fields",
        {"train": GOOD["train"] + ",\n,\n"},
        ValueError,
        ["every field empty on line\\(s\\) 14, 15", "delete those rows"],
    ),
    (
        "one-class",
        "a training split with one class",
        {"train": "text,label\n" + "i am so happy,happy\n" * 5},
        ValueError,
        ["one class \\('happy'\\)", "at least two", "--label-column"],
    ),
    (
        "one-based-labels",
        "integer labels 1..3",
        {
            s: "text,label\n" + ROWS.replace("happy\n", "1\n").replace("sad\n", "2\n").replace("angry\n", "3\n")
            for s in ("train", "validation", "test")
        },
        ValueError,
        ["run 1..3", "class 0 would have no example", "subtract 1"],
    ),
    (
        "negative-labels",
        "an integer label -1",
        {"train": "text,label\n" + "a,0\nb,1\nc,-1\n"},
        ValueError,
        ["label -1 is negative", "0..K-1"],
    ),
    (
        "mixed-labels",
        "labels mixing numbers and names",
        {"train": GOOD["train"] + "so glad,4\n"},
        ValueError,
        ["mix numbers", "every label as a class name"],
    ),
    (
        "fraction-labels",
        "labels written 0.0, 1.0",
        {"train": "text,label\n" + "a,0.0\nb,1.0\n" * 3},
        ValueError,
        ["fractions", "whole numbers"],
    ),
    (
        "empty-label",
        "a row with a text and no label",
        {"validation": GOOD["validation"] + "i am so sad,\n"},
        ValueError,
        ["line 14", "label column 'label' is empty", "give every row a label"],
    ),
    (
        "empty-text",
        "a row with a label and no text",
        {"train": GOOD["train"] + ",sad\n"},
        ValueError,
        ["text column 'text' is empty on line\\(s\\) 14", "give every row a text"],
    ),
    (
        "latin1-file",
        "a file saved as Latin-1",
        {"train": "text,label\n".encode() + "caf\xe9 so happy,happy\n".encode("latin-1") + ROWS.encode()},
        ValueError,
        ["not UTF-8", "line 2", "iconv"],
    ),
    (
        "nul-bytes",
        "UTF-16 without a byte-order mark",
        {"train": GOOD["train"].encode("utf-16-le")},
        ValueError,
        ["NUL byte", "save it as UTF-8"],
    ),
    (
        "csv-with-tabs",
        "a tab-separated file named .csv",
        {"train": "text\tlabel\n" + TSV_ROWS},
        ValueError,
        ["has no commas", "separated by tabs", "rename it to .tsv"],
    ),
    (
        "tsv-with-commas",
        "a comma-separated file named .tsv",
        {"train": (".tsv", GOOD["train"])},
        ValueError,
        ["has no tabs", "separated by commas", "rename it to .csv"],
    ),
    (
        "semicolons",
        "a spreadsheet export separated by semicolons",
        {"train": GOOD["train"].replace(",", ";")},
        ValueError,
        ["semicolons", "re-save it with commas"],
    ),
    (
        "extra-field",
        "a row with an unquoted comma in its text",
        {"train": GOOD["train"] + "well, i am sad,sad\n"},
        ValueError,
        ["line 14: 3 fields", "header has 2", "quote fields"],
    ),
    (
        "duplicate-header",
        "a header naming a column twice",
        {"train": "text,label,text\n" + "a,happy,b\nc,sad,d\n"},
        ValueError,
        ["more than once", "\\['text'\\]"],
    ),
    (
        "header-spaces",
        "a header 'text ,label'",
        {"train": "text ,label\n" + ROWS},
        ValueError,
        ["no column \\['text'\\]", "'text' is written 'text '", "fix the header"],
    ),
    (
        "jsonl-not-object",
        "a JSON Lines row that is a list",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n["so sad", "sad"]\n')},
        ValueError,
        ["line 2 is a JSON list, not an object"],
    ),
    (
        "json-array",
        "a .json file holding one JSON array",
        {"train": (".json", '[{"text": "a", "label": "x"}]')},
        ValueError,
        ["one JSON array, not JSON Lines", "lines=True"],
    ),
    (
        "jsonl-bad-json",
        "a JSON Lines file with a broken line",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n{"text": "b", label}\n')},
        ValueError,
        ["line 2 is not JSON", "one JSON object per line"],
    ),
    (
        "jsonl-multilabel",
        "a JSON Lines label that is a list",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": ["x", "y"]}\n')},
        ValueError,
        ["line 2", "not a class", "multi-label"],
    ),
    (
        "jsonl-null-label",
        "a JSON Lines label that is null",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": null}\n')},
        ValueError,
        ["line 2: the label is missing", "give every row a label"],
    ),
    (
        "jsonl-fraction-label",
        "a JSON Lines label 1.5",
        {"train": (".jsonl", '{"text": "a", "label": 0}\n{"text": "b", "label": 1.5}\n')},
        ValueError,
        ["line 2: the label 1.5 is not a class", "whole number"],
    ),
    (
        "jsonl-null-text",
        "a JSON Lines text that is null",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n\n{"text": null, "label": "y"}\n')},
        ValueError,
        ["holds no text on line\\(s\\) 3"],
    ),
    (
        "swapped-columns",
        "text and label columns swapped",
        {
            "columns": {"text_column": "label", "label_column": "text"},
            **{
                s: "text,label\n" + "".join(f"text {i},{w}\n" for i, w in enumerate(["happy", "sad"] * 15))
                for s in ("train", "validation", "test")
            },
        },
        ValueError,
        ["30 different values in 30 rows", "swapped"],
    ),
    (
        "split-is-folder",
        "a folder passed as the test file",
        {"test": None},
        FileNotFoundError,
        ["is a folder", "pass the path of the test split"],
    ),
    ("empty-file", "an empty train file", {"train": ""}, ValueError, ["is empty", "write a header line"]),
    (
        "header-only",
        "a file with a header and no rows",
        {"validation": "text,label\n"},
        ValueError,
        ["has no rows", "at least one example"],
    ),
    ("unknown-extension", "a .xlsx file", {"train": (".xlsx", "PK")}, ValueError, ["unknown format", "CSV UTF-8"]),
    (
        "wrong-label-column",
        "a label column that does not exist",
        {"train": GOOD["train"].replace("label", "emotion")},
        ValueError,
        ["no column \\['label'\\]", "--label-column"],
    ),
]
