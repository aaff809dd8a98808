from roomtime.cli import app

if __name__ == "__main__":  # importing the module (e.g. to check a build) runs nothing
    app(prog_name="roomtime")
