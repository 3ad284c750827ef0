package dev.sparseattn.trainer.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import javax.imageio.ImageIO;

/**
 * Draws a forecast fan chart as a PNG with plain Java2D (headless, as {@link LossCurve}): the observed values as a
 * black line, and over the forecast steps the median (blue) inside shaded bands between symmetric quantiles
 * (0.1-0.9 lightest, then 0.2-0.8, 0.3-0.7, 0.4-0.6).
 */
public final class FanChart {
  private static final int W = 1000;
  private static final int H = 500;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;

  private FanChart() {}

  /**
   * Writes the PNG to {@code out}.
   *
   * @param observed  the observed values at every x position, NaN where missing // [T]
   * @param from      the first position that is forecast
   * @param quantiles quantile levels' values for positions {@code from .. T-1} (levels ascending, symmetric, the
   *                  middle one the median) // [Q][T - from]
   * @param xLabel    the x axis' title (e.g. the first and last dates)
   */
  public static void write(OutputStream out, String title, String xLabel, String yLabel, double[] observed, int from,
                           double[][] quantiles) throws IOException {
    int t = observed.length;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double v : observed) {
      if (!Double.isNaN(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    for (double[] q : quantiles) {
      for (double v : q) {
        if (Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    double pad = (hi - lo) * 0.05;
    final double ymin = lo - pad;
    final double ymax = hi + pad;
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    java.util.function.IntToDoubleFunction x = i -> LEFT + (W - LEFT - RIGHT) * (t <= 1 ? 0.5 : i / (double) (t - 1));
    java.util.function.DoubleUnaryOperator y = v -> TOP + (H - TOP - BOTTOM) * (ymax - v) / (ymax - ymin);

    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    double tickStep = Ticks.step(ymax - ymin, 6);
    for (double v : Ticks.between(ymin, ymax, 6)) {                   // round values: 10, 15, 20
      int py = (int) y.applyAsDouble(v);
      g.setColor(new Color(230, 230, 230));
      g.drawLine(LEFT, py, W - RIGHT, py);
      g.setColor(Color.DARK_GRAY);
      g.drawString(Ticks.label(v, tickStep), 5, py + 4);
    }
    int q = quantiles.length;
    for (int band = 0; band < q / 2; band++) {                      // outer bands first, darker inwards
      int shade = 225 - 35 * band;
      g.setColor(new Color(shade, shade, 255));
      Path2D.Double p = new Path2D.Double();
      boolean started = false;
      for (int i = from; i < t; i++) {
        double v = quantiles[q - 1 - band][i - from];
        if (Double.isFinite(v)) {
          if (started) {
            p.lineTo(x.applyAsDouble(i), y.applyAsDouble(v));
          } else {
            p.moveTo(x.applyAsDouble(i), y.applyAsDouble(v));
            started = true;
          }
        }
      }
      for (int i = t - 1; i >= from; i--) {
        double v = quantiles[band][i - from];
        if (Double.isFinite(v)) {
          p.lineTo(x.applyAsDouble(i), y.applyAsDouble(v));
        }
      }
      if (started) {
        p.closePath();
        g.fill(p);
      }
    }
    g.setStroke(new BasicStroke(1.5f));
    g.setColor(new Color(20, 60, 200));
    line(g, x, y, quantiles[q / 2], from);
    g.setColor(Color.BLACK);
    line(g, x, y, observed, 0);
    g.setColor(Color.GRAY);
    g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 4}, 0));
    int fx = (int) x.applyAsDouble(from);
    g.drawLine(fx, TOP, fx, H - BOTTOM);
    g.setStroke(new BasicStroke(1f));
    g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, LEFT, TOP - 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString(xLabel, LEFT, H - 35);
    g.drawString("black: observed " + yLabel + "   blue: median   bands: 0.1-0.9, 0.2-0.8, 0.3-0.7, 0.4-0.6", LEFT,
        H - 15);
    g.dispose();
    ImageIO.write(img, "png", out);
  }

  private static void line(Graphics2D g, java.util.function.IntToDoubleFunction x,
                           java.util.function.DoubleUnaryOperator y, double[] v, int offset) {
    Path2D.Double p = new Path2D.Double();
    boolean pen = false;
    for (int i = 0; i < v.length; i++) {
      if (Double.isNaN(v[i])) {
        pen = false;
        continue;
      }
      double px = x.applyAsDouble(i + offset);
      double py = y.applyAsDouble(v[i]);
      if (pen) {
        p.lineTo(px, py);
      } else {
        p.moveTo(px, py);
        pen = true;
      }
    }
    g.draw(p);
  }
}
