"""The kit explains itself: a privacy notice, an impact assessment, a sign and a lesson, written from what the
kit is doing right now (its kinds, its config, the settings an admin changed, the detectors it runs).

    state = LiveState.of_kit(kit)                    # or LiveState.of_config(config) offline (device.notice.state)
    notice = build(state, gettext)                   # the document, in one language (device.notice.document)
    to_markdown(notice)                              # device.notice.markdown

This package imports nothing on purpose: device.config imports its [notice] section from device.notice.operator.
"""
