/* The pairing link as a QR code in the terminal, two modules per character cell. */
#include <stdio.h>
#include <qrencode.h>

#include "clients/cli/cli.h"

#define QR_QUIET 2    /* light modules around the code, so a camera finds its edge */

/* 1 when the module at (x, y) is dark; outside the code is the light quiet zone. */
static int
dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

void
qr_print(FILE *f, const char *text, int unicode)
{
	/*
	 * Light modules are drawn as blocks (terminals are usually light on dark);
	 * index: upper module dark * 2 + lower module dark.
	 */
	static const char *const cell_u[4] = {
		"\xe2\x96\x88", "\xe2\x96\x80", "\xe2\x96\x84", " "
	};
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	int x, y;

	if (q == NULL)
		return;
	for (y = -QR_QUIET; y < q->width + QR_QUIET; y += unicode ? 2 : 1) {
		fputs("    ", f);
		for (x = -QR_QUIET; x < q->width + QR_QUIET; x++) {
			if (unicode)
				fputs(cell_u[dark(q, x, y) * 2 + dark(q, x, y + 1)], f);
			else
				fputs(dark(q, x, y) ? "  " : "##", f);
		}
		fputc('\n', f);
	}
	QRcode_free(q);
}
