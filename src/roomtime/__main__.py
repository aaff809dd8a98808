from roomtime.cli import app

app(prog_name="roomtime")
