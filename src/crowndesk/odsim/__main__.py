from crowndesk.odsim.cli import app

app(prog_name="odsim")
