"""Write the README's Binder and Colab badges and the getting-started page's launch lines from the one repository
address in pyproject.toml ([project.urls] Repository). tests/test_setup.py checks that they are current."""

from lle.experiments import report
from lle.paths import repository_url


def main() -> None:
    url = repository_url()
    for name, block in (("badges", report.badges_block(url)), ("launch", report.launch_block(url))):
        print(f"wrote {report.publish(name, block)}")


if __name__ == "__main__":
    main()
